{
  "targets": [
    {
      "target_name": "callgrind",
      "sources": ["callgrind.c"],
      "cflags": ["-O2"]
    }
  ]
}
