/**
 * A short, readable name for a browser ("Chrome on macOS") from a User-Agent string. Sent as the
 * session's `device` on sign-in and used to tidy sessions that stored a raw User-Agent.
 */
const BROWSERS: [RegExp, string][] = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/SamsungBrowser\//, 'Samsung Internet'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/HeadlessChrome\//, 'Headless Chrome'],
  [/Chrome\/|CriOS\//, 'Chrome'],
  [/Chromium\//, 'Chromium'],
  [/Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Windows/, 'Windows'],
  [/Linux/, 'Linux'],
];

const firstMatch = (ua: string, table: [RegExp, string][]) => table.find(([pattern]) => pattern.test(ua))?.[1];

export function describeUserAgent(userAgent: string): string {
  const browser = firstMatch(userAgent, BROWSERS);
  const system = firstMatch(userAgent, SYSTEMS);
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 100);
}

/** Device names from other clients ("Pixel 8", "curl/8.5.0") are kept; raw browser User-Agents are shortened. */
export function displayDeviceName(device: string): string {
  return device.startsWith('Mozilla/') ? describeUserAgent(device) : device;
}

export function thisDeviceName(): string {
  return typeof navigator === 'undefined' ? 'Web browser' : describeUserAgent(navigator.userAgent);
}
