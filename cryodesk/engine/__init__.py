"""Engine: jobs and pipelines, executors, the service facade that the GUI and CLI call. No Qt."""
