"""One module per lesson with its own result views (type, draw, translate...), handed to the shared lab."""
