from bouncewatch.cli import main

main()
