"""`voice-coach models list | install NAME | verify [NAME]`: the only commands that may use the network."""

from __future__ import annotations

import click

from voice_coach.errors import ModelError


@click.group()
def models() -> None:
    """Speech models: list them, install the vosk English model, check them."""


@models.command("list")
def list_() -> None:
    """The models the coach knows, and whether each is installed and whole."""
    from voice_coach.speech.models import list_models, load_catalog, models_dir

    catalog = load_catalog()
    click.echo(f"{'name':<24} {'language':<8} {'installed':<9} {'whole':<5}  source / description")
    for row in list_models(models_dir()):
        desc = catalog[row.name].description
        click.echo(f"{row.name:<24} {row.language:<8} {'yes' if row.installed else 'no':<9} "
                   f"{'yes' if row.verified else 'no':<5}  {row.source}; {desc}")


@models.command()
@click.argument("name")
@click.option("--url", help="Download from this address instead (a mirror, or file:// on a USB stick).")
def install(name: str, url: str | None) -> None:
    """Download NAME, check its pinned SHA-256, and unpack it atomically into models/."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from voice_coach.speech.model_download import install as install_model
    from voice_coach.speech.models import models_dir

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), transient=True) as bar:
        task = bar.add_task(f"downloading {name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = install_model(name, dest_dir=models_dir(), url=url, progress=progress)
    click.echo(result.message)


@models.command()
@click.argument("name", required=False)
def verify(name: str | None) -> None:
    """Check that a model (or every installed one) has all its files."""
    from voice_coach.speech.models import list_models, load_catalog, model_path, models_dir
    from voice_coach.speech.models import verify as verify_model

    names = [name] if name else [r.name for r in list_models(models_dir()) if r.installed]
    if not names:
        raise ModelError("no models installed: run `voice-coach models install vosk-small-en-us`, "
                         "or use the built-in pocketsphinx (--backend pocketsphinx)")
    catalog = load_catalog()
    bad = 0
    for n in names:
        problems = verify_model(n, models_dir())
        if problems:
            bad += 1
            text = "; ".join(problems)
            fix = "" if "run `" in text else f"; run `voice-coach models install {n}` again"
            if len(names) == 1:
                raise ModelError(f"model {n}: {text}{fix}")
            click.echo(f"voice-coach: model {n}: {text}{fix}", err=True)
        elif catalog[n].pinned:
            click.echo(f"model {n} is whole and each file matches its published SHA-256 "
                       f"({model_path(catalog[n], models_dir())})")
        else:
            click.echo(f"model {n} is whole")
    if bad:  # (click's Exit would leave the exit status 0 under the app's own main)
        raise ModelError(f"{bad} of {len(names)} installed models are damaged (see above)")
