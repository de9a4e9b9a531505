// Linked only with OpenCV's static archives (CMakeLists.txt, DI_STATIC_OPENCV).
// OpenCV's core carries its OpenGL interop (cv::ogl) in the same object as code we
// do call, so the linker asks for three GLX entry points that die-inspect never
// reaches: nothing here creates GL buffers or textures. They answer "no current
// GL context", the truth in a headless inspector, so the addon needs neither
// libGLX nor the X11 libraries behind it. Hidden: no other library sees them.
extern "C" {
__attribute__((visibility("hidden"))) void* glXGetCurrentContext() { return nullptr; }
__attribute__((visibility("hidden"))) void* glXGetCurrentDisplay() { return nullptr; }
__attribute__((visibility("hidden"))) void (*glXGetProcAddressARB(const unsigned char*))() { return nullptr; }
}
