# The processes-scope addon. Built by `npm install` through
# scripts/build-native.mjs (npm's own node-gyp, against the running Node's
# headers, never downloading any). Linux only: the build script skips it
# elsewhere and weft reports the processes scope unavailable at first use.
{
  "targets": [
    {
      "target_name": "weft",
      "sources": [
        "src/addon.cc",
        "src/js.cc",
        "src/futex.cc",
        "src/liveness.cc",
        "src/segment.cc",
        "src/segment-js.cc",
        "src/segment-users.cc",
        "src/arena.cc",
        "src/async-wait.cc",
        "src/parking.cc"
      ],
      "cflags_cc": ["-std=gnu++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "libraries": ["-lpthread", "-lrt"],
      # Never unloaded: a worker thread that loaded the addon has it closed
      # when its environment ends, but V8 frees that worker's shared buffers
      # later (at isolate teardown), calling the addon's deleter — which
      # must still be mapped then.
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
