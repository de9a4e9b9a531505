'use strict';
// A constructed ensemble case whose answer is known: three members' probabilities a, b, c
// (uniform on [0.05, 0.95], seeded) and labels drawn as 1 with probability 0.7 a + 0.3 b,
// so the log-loss-optimal mixture is (0.7, 0.3, 0).
const { random } = require('../../dist/eval/bootstrap');

function mixtureCase(seed, n) {
  const r = random(seed);
  const a = [], b = [], c = [], y = [];
  for (let i = 0; i < n; i++) {
    a.push(0.05 + 0.9 * r());
    b.push(0.05 + 0.9 * r());
    c.push(0.05 + 0.9 * r());
    y.push(r() < 0.7 * a[i] + 0.3 * b[i] ? 1 : 0);
  }
  return { a, b, c, y, r };
}

module.exports = { mixtureCase };
