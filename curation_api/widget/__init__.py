"""The embeddable widget: the script sites include, the script-free embed page, the snippets
moderators copy, and the public report of a post."""
