"""What a benchmark is asked to do: schemas of models.yaml, task.yaml and suites.yaml, loaded with
line-aware errors; profiles, model options and task data.
"""
