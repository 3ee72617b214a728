"""RNN Playground's entry point: page setup and navigation over the files in pages/.

A shared link may open a page as the very first request of a fresh server, when Streamlit would
run that pages/ file directly; ui/navigation.py makes such a page declare this navigation and
rerun through here, so every link gets the page config and the sidebar.
"""


from ui import navigation

navigation.configure_page()
navigation.run()
