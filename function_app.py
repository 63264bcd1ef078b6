"""Azure Functions entry point (Python v2 programming model), kept thin on purpose.

The whole API is the FastAPI app of `tweet_sentiment.api`, served through `AsgiFunctionApp`: one
HTTP function catching every route (`host.json` sets `routePrefix: ""`, so FastAPI's `/api/...`
paths are the public ones). The same app runs under uvicorn locally (`make run`,
`python -m tweet_sentiment serve`), so what is tested locally is what Azure runs.
"""

import azure.functions as func

from tweet_sentiment.api import create_app
from tweet_sentiment.config import get_settings

_settings = get_settings()
app = func.AsgiFunctionApp(
    app=create_app(_settings), http_auth_level=func.AuthLevel(_settings.auth_level)
)
