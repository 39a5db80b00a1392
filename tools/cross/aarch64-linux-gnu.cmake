# CMake toolchain file: cross-compiling Larch for arm64 (aarch64) on a
# Debian amd64 machine with Debian's cross compiler and multiarch libraries
# (tools/setup.sh --arm64 installs both; docs/arm64.md).
#
#   cmake -S . -B build-arm64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=tools/cross/aarch64-linux-gnu.cmake
#
# Debian keeps the arm64 libraries in /usr/lib/aarch64-linux-gnu, their
# headers in /usr/include and /usr/include/aarch64-linux-gnu (the cross
# compiler searches both by itself), and the cross libc in
# /usr/aarch64-linux-gnu.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Makes find_library and find_package search <root>/lib/aarch64-linux-gnu
# (and its cmake/ directories), never the amd64 lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# "/" must be a root path: the multiarch libraries are in
# /usr/lib/aarch64-linux-gnu, not under the cross sysroot (with that alone
# FindOpenSSL, GTestConfig and find_library(libsodium.a) fail).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_SYSTEM_LIBRARY_PATH /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu)

# Programs (pkg-config, python, qemu) are the host's; libraries, headers
# and package configurations the target's only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The host's pkg-config reading the arm64 .pc files only: LIBDIR replaces
# the default amd64 search path. The toolchain file is read at every
# configure, so setting the environment here is enough.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# arm64 programs (gtest_discover_tests' listing at build time, ctest) run
# under qemu-user; libc6:arm64 provides /lib/ld-linux-aarch64.so.1, so no -L.
find_program(QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${QEMU_AARCH64})
endif()
