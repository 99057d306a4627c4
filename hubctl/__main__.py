from hubctl.cli.main import main

main()
