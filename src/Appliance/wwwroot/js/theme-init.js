// Applies the saved theme before first paint (a classic script, not a module, so it runs at once),
// so an admin on the dark theme never sees a white flash. Kept out of index.html so a strict
// Content-Security-Policy (script-src 'self') needs no exception.
try {
  const t = localStorage.getItem('outpost.theme');
  if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
} catch { /* storage disabled: follow prefers-color-scheme */ }
