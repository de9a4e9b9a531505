// Registration hooks of the stand-alone bindings (one per file), called by addon.cc.
#pragma once

#include <napi.h>

namespace di::binding {

// nms(), preprocess(): building blocks exposed for tests, baselines and tools.
void InitUtilities(Napi::Env env, Napi::Object exports);

// synthRender(): the synthetic dataset renderer.
void InitSynth(Napi::Env env, Napi::Object exports);

// roiCapture(): acquisition mode, package quad, upright crop, die angle.
void InitRoi(Napi::Env env, Napi::Object exports);

// annotateImage(): outlines and labels drawn for people to look at.
void InitAnnotate(Napi::Env env, Napi::Object exports);

// samSegment(): box-prompted SAM encoder/decoder runs -> package quads.
void InitSam(Napi::Env env, Napi::Object exports);

// releaseBuffers(), mallocOptions(), mallocInfo(): native memory held by the process.
void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace di::binding
