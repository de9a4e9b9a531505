// What every harness shares: a failed property aborts with its reason (libFuzzer
// then saves the input as a crash), and the one error model of the native code is
// the only way out that is not a finding.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "util/error.h"

namespace di::fuzz {

[[noreturn]] inline void Fail(const std::string& why) {
  std::fprintf(stderr, "property failed: %s\n", why.c_str());
  std::abort();
}

inline void Check(bool ok, const std::string& why) {
  if (!ok) Fail(why);
}

// A typed error is an answer, but only with a code the caller can act on for this input.
inline void ExpectCode(const Error& e, std::initializer_list<const char*> codes) {
  for (const char* c : codes)
    if (e.code() == c) return;
  Fail("error code " + e.code() + " (" + e.what() + ") is not one this input may give");
}

// Runs `body`; a di::Error with one of `codes` is fine, any other exception is a
// finding: the binding would turn it into an untyped ERR_INTERNAL or worse.
template <class F>
void Guard(std::initializer_list<const char*> codes, F&& body) {
  try {
    body();
  } catch (const Error& e) {
    ExpectCode(e, codes);
  } catch (const std::exception& e) {
    Fail(std::string("untyped exception: ") + e.what());
  }
}

}  // namespace di::fuzz
