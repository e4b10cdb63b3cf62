"""Build the PubChem and ChEMBL clients an online import uses, from the user's settings.

Where each value comes from (highest first):

* base URL: ``CRYODESK_<SERVICE>_BASE`` (tests and CI point it at the replay server), then
  ``Settings.service_base_urls``, then the service default;
* rate limit: ``Settings.service_rate_limits``, then the service's policy default;
* HTTP cache directory: ``Settings.http_cache_dir``, then the application's cache directory
  (never the project file);
* API key: the environment or the owner-only key file (:func:`cryodesk.config.api_key`), attached
  only when the service has a place to carry one. Keys live in the client configuration only:
  they are never part of a job's parameters, checkpoint or metrics, so never in the project file.
"""

from __future__ import annotations

from typing import Any

from cryodesk.config import Settings, api_key, load_settings
from cryodesk.sources.chembl import ChemblClient, chembl_config
from cryodesk.sources.http.config import ServiceConfig
from cryodesk.sources.pubchem import PubChemClient, pubchem_config


def configured(config: ServiceConfig, settings: Settings) -> ServiceConfig:
    """``config`` with the user's base URL, rate and contact, plus an API key where one fits."""
    config = config.with_settings(settings)
    if config.api_key_param or config.api_key_header:
        key = api_key(config.name)
        if key:
            config = config.with_overrides(api_key=key)
    return config


def pubchem_client(batch_size: int, settings: Settings | None = None, **options: Any) -> PubChemClient:
    """A PubChem client whose property and synonym requests carry ``batch_size`` CIDs each.

    Args:
        batch_size: CIDs per POST (the job's batch size, so one batch is one request of each kind).
        settings: the user's settings (read from disk when omitted).
        **options: passed on to :class:`PubChemClient` (``registry``, ``clock``, ``cache`` ...).
    """
    settings = settings or load_settings()
    config = configured(pubchem_config(), settings)
    options.setdefault("cache_dir", settings.http_cache_dir)
    return PubChemClient(config=config, chunk_size=batch_size, **options)


def chembl_client(batch_size: int, settings: Settings | None = None, **options: Any) -> ChemblClient:
    """A ChEMBL client asking for ``batch_size`` molecules per ``molecule_chembl_id__in`` query."""
    settings = settings or load_settings()
    config = configured(chembl_config(), settings)
    options.setdefault("cache_dir", settings.http_cache_dir)
    return ChemblClient(config=config, chunk_size=batch_size, **options)
