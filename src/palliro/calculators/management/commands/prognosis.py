"""``palliro prognosis MODEL --key value ...``: survival scores for palliative RT (``--list`` shows them)."""

from __future__ import annotations

from palliro.calculators import inputs, output
from palliro.calculators.management.commands._base import CalculatorCommand
from palliro.calculators.output import CalcOutput, Table
from palliro.core.errors import PalliroValueError


class Command(CalculatorCommand):
    help = ("Prognostic scores. Example: palliro prognosis chow_nrf3 --primary lung --bone-only-metastases no "
            "--kps 50. List models and their inputs with palliro prognosis --list.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("model", nargs="?", help="model key (see --list)")
        parser.add_argument("--list", action="store_true", help="list the models and their inputs")
        for name, spec in inputs.INPUTS.items():
            parser.add_argument(f"--{name.replace('_', '-')}", dest=f"in_{name}", metavar="VALUE",
                                help=spec.label + (" (yes/no)" if spec.kind == "bool" else ""))

    def calculate(self, **o):
        if o["list"]:
            rows = tuple(
                (m.key, m.title, " ".join(f"--{n.replace('_', '-')}" for n in m.inputs),
                 " ".join(f"--{n.replace('_', '-')}" for n in m.options))
                for m in inputs.MODELS.values()
            )
            return CalcOutput(tables=(Table("models", "Prognostic models", ("model", "title", "inputs", "options"),
                                            rows),))
        if not o["model"]:
            raise PalliroValueError("give a model (palliro prognosis --list shows them)", field="model")
        model = inputs.get_model(o["model"])
        given = {k[3:]: v for k, v in o.items() if k.startswith("in_") and v is not None}
        extra = sorted(set(given) - set(model.inputs) - set(model.options))
        if extra:
            names = ", ".join(f"--{n.replace('_', '-')}" for n in extra)
            raise PalliroValueError(f"{names} not used by {model.key}", field="inputs")
        return output.prognosis_output(inputs.run_model(model.key, given), model.title)
