"""Take a trained model home: a stored run as a zip that predicts outside the app (model_zip),
the app's own answers to an input for comparison and the command line (answers), and the code
that ships inside the zip (predictor/, which imports nothing from the app)."""
