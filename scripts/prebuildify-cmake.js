#!/usr/bin/env node
'use strict';
// prebuildify runs `<node-gyp> rebuild ...`; it has no cmake-js backend, so this
// stand-in builds with cmake-js instead and leaves build/Release/die_inspect.node
// where prebuildify collects it. Node-API builds are ABI-stable: target flags are moot.
require('./build-native.js');
