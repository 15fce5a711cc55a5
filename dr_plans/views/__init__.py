"""The DR-plans dashboard. Thin views: fetch, validate a form, call one service, render."""
