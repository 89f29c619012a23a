"""`python -m minzheng …` is the `minzheng` command; spark-submit runs this file (scale-out.md)."""

from minzheng.cli import main

if __name__ == "__main__":
    main()
