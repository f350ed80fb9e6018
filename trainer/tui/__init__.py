"""The trainee's Textual app: pick a call, practise it with live coaching, read the debrief.

This is the only package that imports Textual. `trainer.tui.app.make_app` builds
the app for the CLI, the pilot tests and the snapshot tests alike.
"""
