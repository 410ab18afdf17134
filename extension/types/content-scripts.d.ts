// What build.mjs puts in scope of the content script parts it bundles (src/main/*.js,
// src/content/): the wire format, as `const WIRE` (src/wire.js).
declare const WIRE: typeof import('../src/wire.js').WIRE;

// Set by src/autofill.js for src/content/isolated.js (one isolated world): passkey autofill
// offers that arrive over the document's port.
declare var credwellAutofill: ((message: any) => void) | undefined;

// What the browsers have and TypeScript's DOM library does not (yet).
interface PermissionsPolicy {
  allowsFeature(feature: string): boolean;
}
interface Document {
  /** Chromium's Permissions Policy API (earlier: featurePolicy); absent in Firefox. */
  permissionsPolicy?: PermissionsPolicy;
  featurePolicy?: PermissionsPolicy;
}
/** IntersectionObserver v2 (Chromium). */
interface IntersectionObserverEntry {
  readonly isVisible?: boolean;
}
interface IntersectionObserverInit {
  trackVisibility?: boolean;
  delay?: number;
}
