#pragma once
// What libtiff says while reading or writing a TIFF, kept per handle instead of
// printed: its default handlers write to stderr, and its first error is the
// reason a caller wants in the exception.
#include <string>

#include <tiffio.h>

namespace di {

// Routes the errors of a handle opened with `opts` into *firstError (the first
// one wins) and drops its warnings. *firstError must outlive the handle.
void KeepTiffMessages(TIFFOpenOptions* opts, std::string* firstError);

}  // namespace di
