from toolsynth.cli import main

main()
