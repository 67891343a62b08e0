"""What the project's sample texts in input/ contain, for the tests that read them."""

from pathlib import Path

INPUT = Path(__file__).resolve().parent.parent / "input"

# The nine originals behind the wrapped links in input/000_*.txt (Safe Links around Proofpoint v3,
# some with Markdown escapes, `__` markers shrunk to `_` and a damaged 'urldfense.com' host).
WRAPPED_ORIGINALS = frozenset({
    "https://www.npr.org/2022/01/26/1075710006/russia-named-jailed-opposition-leader-alexei-navalny-terrorist",
    "https://www.reuters.com/article/israel-palestinians-putin-gaza-idAFS8N3A2088",
    "https://www.vedomosti.ru/politics/news/2023/10/14/1000623-hamas-otsenil-pozitsiyu-putina",
    "https://www.france24.com/en/live-news/20230616-putin-proclaims-end-of-ugly-neo-colonialism",
    "https://www.nytimes.com/2006/03/04/world/middleeast/hamas-delegation-visits-moscow-for-a-crash-course-in.html",
    "https://www.rferl.org/fa/1065331.html",
    "https://www.kyivpost.com/post/22528",
    "https://www.memri.org/reports/senior-hamas-official-ali-baraka-we-have-been-secretly-planning-invasion-two-years-russia",
    "https://twitter.com/AdityaRajKaul/status/1719307233014485239",
})

# Every absolute original URL in input/: the nine above and two written bare.
ALL_ORIGINALS = WRAPPED_ORIGINALS | {
    "https://en.majalla.com/node/303701/politics/russias-relationship-hamas-and-putins-global-calculations",
    "https://www.themoscowtimes.com/2023/10/30/why-russia-and-hamas-are-growing-closer-a82938",
}
