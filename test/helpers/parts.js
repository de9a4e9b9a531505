'use strict';
// Small parts and tiny models for the queue tests: synthetic 320x240 brightfield images
// (the contour ROI finds their package) copied to as many job files as a test needs, a
// constant detector (one die_crack, at 64x64) and a constant classifier.
const fs = require('fs');
const path = require('path');
const { synthesize } = require('../../dist');
const { constantDetector, constantClassifier } = require('./onnx');

const NAMES = "{0: 'die_crack', 1: 'die_rotation'}";

async function smallParts(dir, count) {
  const synth = path.join(dir, 'synth');
  await synthesize({ out: synth, count: 16, seed: 3, width: 320, height: 240, modes: ['brightfield'] });
  const sources = JSON.parse(fs.readFileSync(path.join(synth, 'meta.json'), 'utf8')).map((m) => path.join(synth, m.file));
  const jobs = path.join(dir, 'jobs');
  fs.mkdirSync(jobs, { recursive: true });
  const images = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(jobs, `${String(i).padStart(5, '0')}.jpg`);
    fs.copyFileSync(sources[i % sources.length], file);
    images.push(file);
  }
  const detector = path.join(dir, 'det.onnx');
  fs.writeFileSync(detector, constantDetector({
    rows: [[32, 32, 8, 6, 0.9, 0.9, 0.1]], height: 'h', width: 'w', metadata: { names: NAMES, imgsz: '[64, 64]' },
  }));
  const classifier = path.join(dir, 'cls.onnx');
  fs.writeFileSync(classifier, constantClassifier([2, -2], { names: "{0: 'good', 1: 'defective'}" }));
  // Unreadable: a path that is not there, and a file that is no image.
  const missing = path.join(dir, 'no-such-part.jpg');
  const notImage = path.join(dir, 'not-an-image.jpg');
  fs.writeFileSync(notImage, 'this is text, not a JPEG\n');
  return { images, sources, detector, classifier, missing, notImage };
}

/** The worker flags of these models: one ONNX Runtime thread, the test models. */
const modelFlags = (p) => ['--detector', p.detector, '--classifier', p.classifier, '--threads', '1'];

module.exports = { smallParts, modelFlags };
