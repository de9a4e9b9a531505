{
  # node-gyp build of the same addon (used by prebuildify and as the install
  # fallback). Sources and ONNX Runtime paths come from the same scripts that
  # CMakeLists.txt uses.
  "targets": [
    {
      "target_name": "die_inspect",
      "sources": ["<!@(node scripts/native-sources.js)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!(node scripts/find-onnxruntime.js --gyp-include)",
        "<!@(pkg-config --cflags-only-I opencv4 | sed s/-I//g)"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-frtti"],
      "libraries": [
        "<!(node scripts/find-onnxruntime.js --gyp-lib)",
        "-lopencv_core", "-lopencv_imgproc", "-lopencv_video", "-ljpeg", "-lpng16", "-ltiff"
      ],
      "ldflags": ["-Wl,--enable-new-dtags", "<!@(node scripts/find-onnxruntime.js --gyp-rpath)"]
    }
  ]
}
