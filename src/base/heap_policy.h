// File: src/base/heap_policy.h
//
// How the process's heap hands memory back. glibc's malloc serves a large
// allocation with its own mapping, returned to the system when freed, but
// after the first such free it raises that threshold to the freed size:
// from then on multi-MiB buffers (a patch block, a part decoder's
// dictionary) come from the heap and stay resident after they are freed.
// On the device that made applying a big delta peak at 86 MiB where its
// buffers never held more than 52 MiB together. A fixed threshold keeps a
// device's peak memory what the code holds at once.
#pragma once

namespace larch {

// Called first thing in main(). No effect with other C libraries.
void SetDeviceHeapPolicy();

}  // namespace larch
