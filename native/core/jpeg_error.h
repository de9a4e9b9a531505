#pragma once
// What the JPEG decoder and encoder share: libjpeg-turbo itself (BGR in and out
// of its buffers needs its JCS_EXT_* colour spaces) and an error manager whose
// error_exit keeps libjpeg's message and longjmps back to the caller's setjmp,
// since error_exit must not return and no C++ exception may unwind libjpeg's C frames.
#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

#ifndef JCS_EXTENSIONS
#error "libjpeg-turbo is needed (JCS_EXT_BGR buffers): install libjpeg62-turbo-dev"
#endif

namespace di {

struct JpegErrorManager {
  jpeg_error_mgr base;  // first: libjpeg hands callbacks a pointer to it
  std::jmp_buf jump;
  bool failOnWarning = true;  // decoding: a warning about the data fails the image
  bool warned = false;        // decoding: the jump came from a warning, not an error
  char message[JMSG_LENGTH_MAX] = {0};
};

inline void JpegOnError(j_common_ptr cinfo) {
  auto* m = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  cinfo->err->format_message(cinfo, m->message);
  std::longjmp(m->jump, 1);
}

}  // namespace di
