from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use this key, e.g. 'Grafana alerts'.")
