"""Knowledge of outside projects, one package each, so the pipeline's stages name none of their specifics."""
