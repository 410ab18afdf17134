// @ts-check
// The extension's fixed id: the first 128 bits of SHA-256 over the DER public key in
// manifest.json's "key", written with the letters a-p (see extension/README.md). The native
// host manifest's allowed_origins names it; e2e/ checks it against the key.
export const EXTENSION_ID = 'mbndjlelfaaenoeialddcgfodilabkmn';

// The native-messaging host's name (runtime.connectNative).
export const HOST_NAME = 'org.credwell.host';

// The protocol version spoken with the host (docs/protocol.md).
export const PROTOCOL_VERSION = 1;
