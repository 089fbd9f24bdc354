"""Word tables for invented argument values (names, cities, file names, sentences), and the synonyms that tie a
parameter's name to the state fields whose values can fill it."""

from __future__ import annotations


def table(cells: str) -> list[str]:
    """Vocabulary tables written as `a|b|c` so they stay compact."""
    return cells.split("|")


CITIES = table(
    "Rivermist|Stonebrook|Maplecrest|Silverpine|Shadowridge|London|Paris|Tokyo|Boston|Chicago|"
    "San Francisco|New York|Berlin|Madrid|Toronto|Sydney"
)
FIRST = table("Alice|Bruno|Chen|Dana|Elif|Farah|Gustav|Hana|Ivan|Julia|Kenji|Lena")
LAST = ["Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Larsen", "Iyer", "Costa", "Weber", "Haddad"]
WORDS = table(
    "budget|quarterly|report|meeting|invoice|project|roadmap|summary|deadline|analysis|draft|"
    "schedule|backup|release|notes|feedback"
)
SENTENCES = [
    "Please review the latest numbers before Friday.",
    "The quarterly summary is ready for feedback.",
    "Moving the meeting to next Tuesday at 10am.",
    "Remember to back up the project files tonight.",
    "Shipping the release once the tests pass.",
    "Thanks for the quick turnaround on the draft!",
]
FILES = table("notes.txt|report_q3.txt|summary.md|budget_2024.csv|todo.txt|draft_v2.txt|log.txt")
DIRS = ["archive", "backup", "projects", "temp", "reports_2024", "drafts"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "INR", "RMB"]
SYMBOLS = ["AAPL", "GOOG", "MSFT", "TSLA", "NVDA", "AMZN"]


# A parameter token → field names in a backend's state or results that hold values for it (`folder` is the name of
# an entry of a directory's `contents`; a `stock` is a key of `stocks`).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "file": ("contents", "name"),
    "filename": ("contents", "name"),
    "folder": ("contents", "name"),
    "dir": ("contents", "name"),
    "directory": ("contents", "name"),
    "source": ("contents", "name"),
    "destination": ("contents", "name"),
    "stock": ("stocks", "symbol"),
    "symbol": ("stocks", "symbol"),
    "ticker": ("stocks", "symbol"),
    "receiver": ("user_map",),
    "user": ("user_map", "username", "current_user"),
}
