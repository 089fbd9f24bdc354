import pytest

from toolsynth.errors import RecipeError
from toolsynth.recipe import load_recipe


def test_minimal_recipe_loads_and_resolves_paths(tmp_path):
    r = tmp_path / "r.yaml"
    r.write_text("strategy: magnet\ncatalog: cats/bfcl\nseed: 3\n")
    recipe = load_recipe(r)
    assert recipe.strategy == "magnet" and recipe.seed == 3
    assert recipe.resolve(recipe.catalog) == tmp_path / "cats/bfcl"
    assert recipe.llm.model == "local/smollm2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "strategy: magnet\ncatalog: a\nllm: {temperature: hot}\n",
            r"r.yaml: llm.temperature: Input should be a valid number",
        ),
        ("strategy: other\ncatalog: a\n", r"r.yaml: strategy: Input should be 'toolflow' or 'magnet'"),
        ("strategy: magnet\ncatalog: a\nbogus: 1\n", r"r.yaml: bogus: Extra inputs are not permitted"),
        ("strategy: magnet\n  catalog: [a\n", r"r.yaml:2:\d+: invalid YAML"),
        ("- just\n- a list\n", r"r.yaml: a recipe must be a YAML mapping"),
    ],
)
def test_broken_recipes_name_file_and_field(tmp_path, text, message):
    r = tmp_path / "r.yaml"
    r.write_text(text)
    with pytest.raises(RecipeError, match=message):
        load_recipe(r)
