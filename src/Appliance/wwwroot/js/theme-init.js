// Sets html[data-theme] before first paint (a classic script, not a module, so it runs at once), so an admin on the
// dark theme never sees a white flash and app.css writes its dark colours once. The admin's choice (the theme toggle,
// saved in localStorage) wins; without one the system's prefers-color-scheme decides, and is followed when it changes.
// Kept out of index.html so a strict Content-Security-Policy (script-src 'self') needs no exception.
(() => {
  const system = matchMedia('(prefers-color-scheme: dark)');
  const saved = () => {
    try {
      const t = localStorage.getItem('outpost.theme');
      return t === 'dark' || t === 'light' ? t : null;
    } catch {
      return null; // storage disabled: follow the system
    }
  };
  const apply = () => { document.documentElement.dataset.theme = saved() ?? (system.matches ? 'dark' : 'light'); };
  apply();
  system.addEventListener('change', apply);
})();
