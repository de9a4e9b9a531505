'use strict';
// Loaded before every test file (.mocharc.json): caches that sessions and CLI runs under
// test make (TensorRT engine folders) go to a temporary folder, never to ~/.cache.
const os = require('os');
const path = require('path');

process.env.DIE_INSPECT_CACHE_DIR ||= path.join(os.tmpdir(), 'die-inspect-test-cache');
