#include "core/tiff_messages.h"

#include <cstdarg>
#include <cstdio>

namespace di {

namespace {

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* error = static_cast<std::string*>(user);
  if (error->empty()) {
    char text[512];
    std::vsnprintf(text, sizeof(text), fmt, ap);
    *error = module && *module ? std::string(module) + ": " + text : text;
  }
  return 1;  // handled: nothing reaches libtiff's default (stderr) handler
}

int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

void KeepTiffMessages(TIFFOpenOptions* opts, std::string* firstError) {
  TIFFOpenOptionsSetErrorHandlerExtR(opts, OnError, firstError);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, OnWarning, firstError);
}

}  // namespace di
