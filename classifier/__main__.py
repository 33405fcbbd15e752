from classifier.cli import main

main()
