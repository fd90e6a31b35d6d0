"""How long a pull's next slice is: sized by what Graph returns, so that a pull costs about its pages of
data plus a small constant, not one request per day of an empty window.

A slice is one `$filter` time range read page by page. Slices grow (up to GROWTH times) while they come
back empty or small, and shrink in proportion when one took more than the target number of pages. A
slice whose first page shows it is far bigger than that (Graph pages newest first, so the first page's
oldest sign-in tells how much of the slice one page covers) is read as shorter slices instead.
"""

from __future__ import annotations

GROWTH = 4  # the most a slice grows or (on its first page) is cut down by at once ...
MIN_HOURS = 0.01  # ... and the shortest slice (36 s; Graph's filter times are whole seconds)


def next_hours(hours: float, pages: int, target_pages: int) -> float:
    """The next slice's length after one of `hours` that took `pages` pages."""
    return max(MIN_HOURS, hours * min(GROWTH, target_pages / max(pages, 1)))


def split_hours(hours: float, first_page_hours: float, target_pages: int) -> float | None:
    """A shorter length for a slice of `hours` whose first (newest) page covers only `first_page_hours`,
    when at that density the slice would take more than GROWTH x `target_pages` pages; else None."""
    estimated_pages = hours / max(first_page_hours, MIN_HOURS / 100)
    if estimated_pages <= GROWTH * target_pages or hours <= MIN_HOURS:
        return None
    return max(MIN_HOURS, hours * target_pages / estimated_pages)
