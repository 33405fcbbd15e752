"""The HTTP service: FastAPI over the public API (`classifier.__all__`), served by uvicorn.

`app.create_app` builds the application (routes and their request and response shapes in
`schemas`), `state` holds the loaded model and swaps in another run on reload, in every worker
process, `problems` turns every error into an RFC 9457 problem and bounds request bodies, `server`
starts uvicorn (`classifier serve`), `page` is the editor's page served at `/`.
"""
