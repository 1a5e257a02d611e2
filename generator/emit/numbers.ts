/** Numbers as the CLI and the diagrams print them. */

export function percent(used: number, limit: number): string {
  const share = (used / limit) * 100;
  return `${share < 10 ? share.toFixed(1) : Math.round(share)}%`;
}

export function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
