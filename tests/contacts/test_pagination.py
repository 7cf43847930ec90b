"""The list of contacts counts its rows only up to a limit (rule C1: it paginates whatever the size of
the directory), and every row stays reachable (contacts.pagination)."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger

from contacts.models import Account, Principal
from contacts.pagination import LimitedCountPaginator


@pytest.fixture
def principals(db):
    account = Account.objects.create(name="pages", uid="1000200030004000", site="international")
    Principal.objects.bulk_create(Principal(account=account, kind="user", name=f"p-{i:03}") for i in range(23))
    return Principal.objects.filter(account=account).order_by("name")


def names(page):
    return [p.name for p in page]


def test_C1_count_stops_after_the_limit(principals, django_assert_num_queries):
    paginator = LimitedCountPaginator(principals, 5, count_limit=10)
    with django_assert_num_queries(1) as counted:
        assert paginator.count == 11  # one more than the limit: "more than 10"
    assert "LIMIT 11" in counted.captured_queries[0]["sql"]
    assert not paginator.count_is_exact
    page = paginator.page(2)  # rows 6-10, within the rows counted: no second count
    assert names(page) == [f"p-{i:03}" for i in range(5, 10)] and page.has_next()
    assert page.next_page_number() == 3  # the Next link of the page: still no second count
    assert paginator.count == 11 and not paginator.count_is_exact


def test_C1_a_small_list_is_counted_exactly(principals):
    paginator = LimitedCountPaginator(principals, 5, count_limit=23)
    assert paginator.count == 23 and paginator.count_is_exact and paginator.num_pages == 5


def test_C1_a_page_past_the_rows_counted_counts_them_all(principals):
    paginator = LimitedCountPaginator(principals, 5, count_limit=10)
    page = paginator.page(3)  # rows 11-15: the 11th was only counted to say "more"
    assert paginator.count_is_exact and paginator.count == 23 and paginator.num_pages == 5
    assert names(page) == [f"p-{i:03}" for i in range(10, 15)] and page.has_next()
    assert names(paginator.page(5)) == ["p-020", "p-021", "p-022"]


def test_C1_every_row_is_reachable_by_next(principals):
    paginator = LimitedCountPaginator(principals, 5, count_limit=10)
    seen, number = [], 1
    while True:
        page = paginator.get_page(number)
        seen += names(page)
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == [f"p-{i:03}" for i in range(23)]


def test_C1_E1_a_page_number_past_the_end_or_not_a_number(principals):
    paginator = LimitedCountPaginator(principals, 5, count_limit=10)
    assert paginator.get_page(999).number == 5  # the last page, as Django's Paginator gives it
    fresh = LimitedCountPaginator(principals, 5, count_limit=10)
    assert fresh.get_page("zzz").number == 1
    with pytest.raises(PageNotAnInteger):
        fresh.validate_number("zzz")
    with pytest.raises(EmptyPage):
        fresh.validate_number(0)
    assert not fresh.count_is_exact  # neither made it count every row
