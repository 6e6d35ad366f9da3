{
  "targets": [
    {
      "target_name": "dl_native",
      "sources": ["dl_addon.c", "../csrc/dl_kernels.c", "../csrc/dl_elementwise.c"],
      "include_dirs": ["../csrc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-fno-trapping-math", "-Wall", "-Wno-unused-function"],
      "cflags!": ["-O2", "-O1", "-O0"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-fno-trapping-math"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "Optimization": 2 }
      }
    }
  ]
}
