"""The browser front end: ``trainer serve``.

A front end beside ``cli/`` and ``tui/``. It serves the trainee app in the browser
(each signed-in trainee gets their own ``trainer tui`` process, driven over a
websocket through textual-serve's app protocol) and the instructor's dashboard, an
HTML page over `trainer.services.classroom`. Nothing here imports Textual: the app
runs in the child process, so ``trainer serve`` starts as fast as any command.

Modules: ``commands`` (the ``serve`` command, light), ``server`` (the aiohttp
application: sign-in, limits, the app bridge, the dashboard), ``pages`` (every HTML
page, user text escaped), ``static/`` (our own style sheet; the terminal's script,
style and fonts come from the textual-serve package, served from a fixed list).
"""
