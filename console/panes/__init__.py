"""The console's four tab panes (Live, Evolution, Runs, Log): each composes its widgets and owns
its handlers and workers, so the App only composes the panes and routes what crosses tabs."""
