"""The job runner and its backends (threads, worker processes, a Dask cluster), which train experiments out
of the page's script thread and save them to the store."""
