from palliro.cli import main

main()
