// Language links keep the page's fragment (a join link's token lives there).
for (const link of document.querySelectorAll("a[data-lang]")) {
  link.addEventListener("click", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("lang", link.dataset.lang);
    link.href = url.pathname + url.search + window.location.hash;
  });
}
