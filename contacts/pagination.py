"""A paginator whose count stops at a limit.

Counting every matching row is the one part of a list page whose cost grows with the table: on a
directory of 110,000 principals it takes longer than everything else on the page together. The
first pages only need to know that there is more than they show, so the count stops at
`count_limit` (one row more says "more than"). Every row stays reachable: a page that reaches past
the limit, and a page number past the pages counted, count every row first, and from then on the
paginator behaves exactly as Django's does (the last page, a page past the end).
"""

from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property


class LimitedCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count_limit: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_limit = count_limit
        self.counted_all = False

    @cached_property
    def count(self) -> int:
        """The number of rows, or count_limit + 1 when there are more than count_limit."""
        return self.object_list.order_by().values("pk")[: self.count_limit + 1].count()

    @property
    def count_is_exact(self) -> bool:
        return self.counted_all or self.count <= self.count_limit

    def count_all(self) -> None:
        self.__dict__["count"] = self.object_list.order_by().values("pk").count()
        self.counted_all = True
        self.__dict__.pop("num_pages", None)  # computed from the count

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.count_is_exact or int(number) < 1:
                raise
            self.count_all()  # past the pages counted: the page may still exist
            return super().validate_number(number)

    def page(self, number):
        number = self.validate_number(number)
        if not self.count_is_exact and number * self.per_page > self.count_limit:
            self.count_all()  # the page reaches past the rows counted: is there a next one?
        return super().page(number)
